import { Alert, Stack, Title } from '@mantine/core';
import { useEffect } from 'react';

/** A page the role may use but whose screen is not built yet (issue 14); it says so plainly. */
export function NotBuiltPage({ title, missing = false }: { title: string; missing?: boolean }) {
  useEffect(() => {
    document.title = `${title} · Image Exchange Hub`;
  }, [title]);
  return (
    <Stack>
      <Title order={1}>{title}</Title>
      {missing ? (
        <Alert color="gray" title="Nothing here">
          There is no page at this address, or your role may not use it.
        </Alert>
      ) : (
        <Alert color="yellow" title="Not built yet">
          This page is not built yet. Its API is available at /api (see /api/docs); the web screen is still to come.
        </Alert>
      )}
    </Stack>
  );
}
