import { Alert, Stack, Title } from '@mantine/core';
import { usePageTitle } from './page-title';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <Stack>
      <Title order={1}>Page not found</Title>
      <Alert color="gray" title="Nothing here">
        There is no page at this address, or your role may not use it.
      </Alert>
    </Stack>
  );
}
