'use client';

/**
 * The enrollment code the page loads on first use (see lib/enroll/kit.ts), fetched
 * once and shared by every component.
 */

export type Kit = typeof import('@/lib/enroll/kit');

let pending: Promise<Kit> | undefined;

export function loadKit(): Promise<Kit> {
  pending ??= import('@/lib/enroll/kit').catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

/** Saves bytes made in the page as a file, through a Blob URL (nothing is uploaded). */
export function saveFile(file: { filename: string; mime: string; bytes: Uint8Array }): void {
  const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by now; the URL only needs to outlive the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
