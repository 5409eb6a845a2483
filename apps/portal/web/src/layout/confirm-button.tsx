import { Button, Group, Modal, Stack, Text, type ButtonProps } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';

interface ConfirmButtonProps extends Pick<ButtonProps, 'color' | 'variant' | 'size'> {
  /** The button's text, also the confirming button's. */
  label: string;
  /** The button's accessible name when one label is repeated per row (e.g. "Discard study 1.2.3"). */
  ariaLabel?: string;
  /** The confirming button's text, when it must differ from the label (an action named "Cancel"). */
  confirmLabel?: string;
  /** The dismissing button's text (default "Cancel"). */
  dismissLabel?: string;
  title: string;
  message: string;
  onConfirm: () => void;
  loading?: boolean;
}

/** An action that asks first, in a dialog whose confirming button repeats the action's name. */
export function ConfirmButton({
  label,
  ariaLabel,
  confirmLabel,
  dismissLabel = 'Cancel',
  title,
  message,
  onConfirm,
  loading,
  ...button
}: ConfirmButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button {...button} onClick={open} loading={loading} aria-label={ariaLabel}>
        {label}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        <Stack>
          <Text>{message}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {dismissLabel}
            </Button>
            <Button
              color={button.color}
              onClick={() => {
                close();
                onConfirm();
              }}
            >
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
