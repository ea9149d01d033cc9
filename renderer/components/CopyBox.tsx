/** Read-only text the operator can copy or save (DSSE envelopes, tokens). */
import { useRef, useState } from 'react';

/** Props of {@link CopyBox}. */
export interface CopyBoxProps {
  readonly label: string;
  readonly text: string;
  /** Offered as a download under this name. */
  readonly fileName?: string;
  readonly mediaType?: string;
  readonly testId: string;
  /** Height of the text area in lines (default 8). */
  readonly rows?: number;
}

/** A labelled read-only textarea with Copy and Download. */
export function CopyBox({ label, text, fileName, mediaType = 'application/json', testId, rows = 8 }: CopyBoxProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<'no' | 'yes' | 'selected'>('no');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      // The clipboard may be denied (every permission request is); select the text for Ctrl+C instead.
      area.current?.focus();
      area.current?.select();
      setCopied('selected');
    }
  };
  return (
    <div className="copy-box" data-testid={testId}>
      <label className="field-label">
        {label}
        <textarea ref={area} readOnly value={text} rows={rows} spellCheck={false} data-testid={`${testId}-text`} />
      </label>
      <div className="row gap">
        <button type="button" onClick={() => void copy()} data-testid={`${testId}-copy`}>
          Copy
        </button>
        {fileName !== undefined && (
          <a
            className="button"
            href={`data:${mediaType};charset=utf-8,${encodeURIComponent(text)}`}
            download={fileName}
            data-testid={`${testId}-download`}
          >
            Download {fileName}
          </a>
        )}
        <span className="muted" role="status">
          {copied === 'yes' ? 'Copied.' : copied === 'selected' ? 'Selected — press Ctrl+C to copy.' : ''}
        </span>
      </div>
    </div>
  );
}
