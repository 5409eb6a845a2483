import { Anchor, AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { Link, NavLink as RouterNavLink, Outlet } from 'react-router';
import { useSession } from '../session/session-context';
import { navItemsFor } from './nav-links';

export function AppLayout() {
  const session = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  // Below the 'sm' breakpoint the menu slides off-screen when closed; inert keeps its links out of the
  // keyboard's and screen readers' way until the Menu button opens it.
  const narrow = useMediaQuery('(max-width: 47.99em)') ?? false;
  const user = session.current!.user;
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Menu"
              aria-expanded={opened}
            />
            <Title order={2} size="h4">
              Image Exchange Hub
            </Title>
          </Group>
          <Group wrap="nowrap">
            <Text size="sm" visibleFrom="xs">
              {user.username} · {user.role}
              {user.trust ? ` · ${user.trust}` : ''}
            </Text>
            <Anchor component={Link} to="/account/password" size="sm">
              Change password
            </Anchor>
            <Button variant="default" size="xs" onClick={() => void session.logOut()}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main" inert={narrow && !opened}>
        {navItemsFor(user.permissions).map((item) => (
          <NavLink
            key={item.path}
            component={RouterNavLink}
            to={item.path}
            label={item.label}
            // The page itself says what is missing; the badge is a visual hint kept out of the link's name.
            rightSection={
              item.built === 'partly' ? (
                <Badge size="xs" variant="light" color="gray" aria-hidden>
                  partly
                </Badge>
              ) : undefined
            }
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
