import type { ComponentChildren } from "preact";
import { useId, useRef } from "preact/hooks";
import { copySecret, secretCopy } from "../../state/account";

/**
 * A secret the API shows this once (a new API key, a webhook signing secret): in a read-only field
 * to select, a Copy button with a visible confirmation, the warning that it will not be shown
 * again, and Done to hide it.
 */
export function SecretReveal({
  title,
  label,
  value,
  testId,
  onDone,
  children,
}: {
  title: string;
  label: string;
  value: string;
  testId: string;
  onDone: () => void;
  children?: ComponentChildren;
}) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const copied = secretCopy.value?.text === value ? secretCopy.value.copied : null;

  async function onCopy() {
    // Refused: the text is selected for the user to copy.
    if (!(await copySecret(value))) input.current?.select();
  }

  return (
    <section class="secret stack" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`}>
        <strong>{title}</strong>
      </p>
      <div class="field">
        <label for={id}>{label}</label>
        <div class="secret-value">
          <input
            id={id}
            ref={input}
            class="grow"
            type="text"
            readOnly
            value={value}
            data-testid={testId}
            spellcheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" class="primary" onClick={onCopy}>
            Copy
          </button>
        </div>
      </div>
      <p role="status" class="small">
        {copied === true && <span class="copied">Copied</span>}
        {copied === false && (
          <span class="warning">
            The browser did not allow copying: the text is selected, copy it with Ctrl+C (⌘C on a Mac).
          </span>
        )}
      </p>
      <p class="warning">
        <strong>It will not be shown again.</strong> Keep it somewhere safe now; if it is lost, make a new one.
      </p>
      {children}
      <div class="row">
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
