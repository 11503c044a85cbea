'use client';

import { useEffect, useState, useSyncExternalStore } from 'react';

const noSubscription = () => () => {};

/**
 * Whether WebCrypto is usable here. Browsers offer it only in secure contexts (https,
 * or http://localhost); the server renders as if it were, the browser corrects it.
 */
export function useWebCrypto(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => window.isSecureContext && Boolean(globalThis.crypto?.subtle),
    () => true,
  );
}

/** The current time, refreshed every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    const id = setInterval(tick, intervalMs);
    const first = setTimeout(tick, 0);
    return () => {
      clearInterval(id);
      clearTimeout(first);
    };
  }, [active, intervalMs]);
  return now;
}

/** Asks the browser to confirm leaving while `active` (a key not yet saved). */
export function useLeaveWarning(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older browsers need returnValue set; the text itself is never shown.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [active]);
}
