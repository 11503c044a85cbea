'use client';

import { useCallback, useRef, useState } from 'react';

/**
 * The portal's "ask once more" step (revoke, cancel a token, disable an account or a
 * federation), with the focus where a keyboard or screen-reader user needs it: on the
 * question when it appears (the button that asked is gone), and back on that button
 * when the user keeps things as they were. Put `question` on the question (with
 * tabIndex -1) and `start` on the button that asks. `ask`/`back` are for event handlers:
 * React commits a click's update before the next frame, where the focus then moves.
 */
export function useConfirmStep<Q extends HTMLElement = HTMLElement>() {
  const [confirming, setConfirming] = useState(false);
  const question = useRef<Q>(null);
  const start = useRef<HTMLButtonElement>(null);
  const go = useCallback((next: boolean) => {
    setConfirming(next);
    requestAnimationFrame(() => (next ? question.current : start.current)?.focus());
  }, []);
  const ask = useCallback(() => go(true), [go]);
  const back = useCallback(() => go(false), [go]);
  return { confirming, setConfirming, ask, back, question, start };
}

/**
 * A ref that focuses its element once, when it appears: for content that replaces the
 * control that had the focus (a result, a refusal). Being one module-level function,
 * React calls it on mount only, not again on each re-render.
 */
export function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}
