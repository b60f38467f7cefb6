import { toggled } from "../../state/account";

/** A labeled group of checkboxes, one per option (a scope, an event), each with a short hint. */
export function ChoiceList<T extends string>({
  legend,
  name,
  options,
  hints,
  chosen,
  onChange,
}: {
  legend: string;
  name: string;
  options: readonly T[];
  hints: Record<T, string>;
  chosen: readonly T[];
  onChange: (chosen: T[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="checks">
        {options.map((option) => (
          <label key={option} class="check">
            <input
              type="checkbox"
              name={name}
              value={option}
              checked={chosen.includes(option)}
              onChange={(e) => onChange(toggled(options, chosen, option, e.currentTarget.checked))}
            />
            <span>
              <code>{option}</code> <span class="muted small">{hints[option]}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
