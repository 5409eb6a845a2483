import { useEffect } from 'react';

/** Sets the tab's title. Never put a patient identifier in it: titles end up in history and screenshots. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Image Exchange Hub`;
  }, [title]);
}
