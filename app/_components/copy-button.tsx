'use client';

import { useState } from 'react';

/** Copies `text` to the clipboard and says so, for screen readers too. */
export function CopyButton({ text, label = 'Copy', className = 'button secondary small' }: { text: string; label?: string; className?: string }) {
  const [status, setStatus] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('Copied');
    } catch {
      setStatus('Select and copy by hand');
    }
    setTimeout(() => setStatus(''), 2500);
  }
  return (
    <>
      <button type="button" className={className} onClick={copy}>
        {label}
      </button>
      <span className="copy-status" role="status" aria-live="polite">
        {status}
      </span>
    </>
  );
}
