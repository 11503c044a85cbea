import type { ReactNode, Ref } from 'react';
import type { Refusal } from '@/lib/enroll/kit';
import styles from './enroll.module.css';

/** Whether the detail only repeats the title (the CA's wording often starts the same way). */
function repeats(title: string, detail: string): boolean {
  const core = (t: string) => t.toLowerCase().replace(/^(this|the) /, '').replace(/[.:].*$/s, '');
  return core(detail) === core(title);
}

/**
 * A refusal in plain words: what happened, what to do, and the CA's own words. With
 * `focusRef` it can take the focus (the flow moves it there when the button pressed
 * is gone); `id` lets a field name it in its aria-describedby.
 */
export function RefusalNotice({ refusal, children, id, focusRef }: { refusal: Refusal; children?: ReactNode; id?: string; focusRef?: Ref<HTMLDivElement> }) {
  return (
    <div role="alert" className={styles.refusal} data-code={refusal.code} id={id} ref={focusRef} tabIndex={focusRef ? -1 : undefined}>
      <p className={styles.refusalTitle}>{refusal.title}</p>
      <p>{refusal.action}</p>
      {refusal.detail && !repeats(refusal.title, refusal.detail) && <p className={styles.detail}>Details: {refusal.detail}</p>}
      {children}
    </div>
  );
}
