/**
 * A row of toggle buttons for one choice (view mode, language): every option
 * visible at once, the current one pressed, reachable by keyboard.
 */
export interface SegmentedOption<V extends string> {
  value: V;
  label: string;
  /** language of the label when it differs from the page's (e.g. "English" on a Chinese page) */
  lang?: string;
}

export function SegmentedControl<V extends string>(props: {
  label: string;
  value: V;
  options: readonly SegmentedOption<V>[];
  onChange: (value: V) => void;
  testId: string;
}) {
  return (
    <div className="segmented" role="group" aria-label={props.label} data-testid={props.testId}>
      {props.options.map((o) => (
        <button
          key={o.value}
          type="button"
          className="segmented__option"
          aria-pressed={o.value === props.value}
          lang={o.lang}
          data-value={o.value}
          onClick={() => o.value !== props.value && props.onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
