import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A destructive button that asks first, in the page: "Revoke? Yes / No". Focus moves to Yes when
 * asked and back to the button on No, so it works from the keyboard.
 */
export function InlineConfirm({
  label,
  ariaLabel,
  question,
  confirmLabel,
  busy,
  onConfirm,
}: {
  /** The button's text: "Revoke". */
  label: string;
  /** The button's accessible name, naming what it acts on: "Revoke CI key". */
  ariaLabel?: string;
  /** "Revoke?" */
  question: string;
  /** The Yes button's accessible name: "Confirm revoke". */
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);

  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (returnFocus.current) {
      returnFocus.current = false;
      trigger.current?.focus();
    }
  }, [asking]);

  if (!asking) {
    return (
      <button
        ref={trigger}
        type="button"
        class="danger"
        aria-label={ariaLabel}
        aria-disabled={busy || undefined}
        onClick={() => !busy && setAsking(true)}
      >
        {busy ? `${label}…` : label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <span>{question}</span>
      <button
        ref={yes}
        type="button"
        class="danger"
        aria-label={confirmLabel}
        disabled={busy}
        onClick={() => {
          returnFocus.current = true;
          setAsking(false);
          onConfirm();
        }}
      >
        Yes
      </button>
      <button
        type="button"
        onClick={() => {
          returnFocus.current = true;
          setAsking(false);
        }}
      >
        No
      </button>
    </span>
  );
}
