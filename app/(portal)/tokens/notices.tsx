'use client';

import { createContext, useContext, useState, type ReactNode } from 'react';

const NoticeContext = createContext<(message: string) => void>(() => {});

/**
 * Says what a row's action did, above the list. A row can leave the list when it
 * changes (a cancelled token on the list of pending ones), taking anything it rendered
 * with it; this region stays.
 */
export function TokenListNotices({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState<string | null>(null);
  return (
    <NoticeContext.Provider value={setMessage}>
      <div role="status" className="list-notice">
        {message && <p className="callout ok">{message}</p>}
      </div>
      {children}
    </NoticeContext.Provider>
  );
}

export function useListNotice(): (message: string) => void {
  return useContext(NoticeContext);
}
