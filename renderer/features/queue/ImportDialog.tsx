/** Import a proposal from a JSON change set or a unified diff (the content never runs; main checks every path). */
import { useState, type FormEvent } from 'react';
import type { RepositoryView } from '../../../shared/ipc/channels/review';
import { useImportProposal } from '../../api/review';
import { navigate } from '../../app/router';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';

/** Props of {@link ImportDialog}. */
export interface ImportDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly repositories: ReadonlyArray<RepositoryView>;
}

/** The import dialog. */
export function ImportDialog({ open, onClose, repositories }: ImportDialogProps) {
  const importProposal = useImportProposal();
  const [repositoryId, setRepositoryId] = useState(repositories[0]?.id ?? '');
  const [format, setFormat] = useState<'changeset' | 'diff'>('changeset');
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const [fileError, setFileError] = useState<string | null>(null);
  // A chosen file that is not UTF-8 (a patch to a Latin-1 file) is sent as its exact bytes, base64.
  const [fileBytes, setFileBytes] = useState<string | null>(null);

  const readFile = (file: File | undefined): void => {
    setFileError(null);
    setFileBytes(null);
    if (file === undefined) return;
    if (file.name.endsWith('.diff') || file.name.endsWith('.patch')) setFormat('diff');
    file.arrayBuffer().then(
      (buffer) => {
        const bytes = new Uint8Array(buffer);
        try {
          setContent(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch {
          setContent(new TextDecoder('latin1').decode(bytes));
          let binary = '';
          for (const byte of bytes) binary += String.fromCharCode(byte);
          setFileBytes(btoa(binary));
        }
      },
      (error: unknown) => setFileError(error instanceof Error ? error.message : 'could not read the file'),
    );
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const target = repositoryId === '' ? repositories[0]?.id : repositoryId;
    if (target === undefined) return;
    importProposal.mutate(
      {
        repositoryId: target,
        format,
        ...(fileBytes === null ? { content } : { content: fileBytes, encoding: 'base64' as const }),
        ...(format === 'diff' && name.trim() !== '' ? { name: name.trim() } : {}),
      },
      {
        onSuccess: ({ proposalId }) => {
          onClose();
          navigate({ view: 'review', repositoryId: target, proposalId });
        },
      },
    );
  };
  return (
    <Dialog open={open} title="Import a proposal" onClose={onClose} testId="import-dialog" wide>
      <form className="form" onSubmit={submit} aria-label="Import a proposal">
        <div className="row gap">
          <label className="field-label">
            Repository
            <select value={repositoryId} onChange={(event) => setRepositoryId(event.target.value)} data-testid="import-repository">
              {repositories.map((repository) => (
                <option key={repository.id} value={repository.id}>
                  {repository.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field-label">
            Format
            <select value={format} onChange={(event) => setFormat(event.target.value === 'diff' ? 'diff' : 'changeset')} data-testid="import-format">
              <option value="changeset">JSON change set</option>
              <option value="diff">Unified diff</option>
            </select>
          </label>
          {format === 'diff' && (
            <label className="field-label">
              Branch name under the proposal pattern
              <input value={name} onChange={(event) => setName(event.target.value)} placeholder="proposals/my-change" data-testid="import-name" />
            </label>
          )}
        </div>
        <label className="field-label">
          From a file
          <input type="file" accept=".json,.diff,.patch,.txt" onChange={(event) => readFile(event.target.files?.[0])} data-testid="import-file" />
        </label>
        {fileError !== null && <p className="warn-text" role="alert">{fileError}</p>}
        {fileBytes !== null && (
          <p className="muted small" data-testid="import-bytes-note">
            The file is not UTF-8 (shown as Latin-1): its exact bytes are imported.
          </p>
        )}
        <label className="field-label">
          Content
          <textarea
            value={content}
            onChange={(event) => {
              // Edited by hand: the text is what goes, no longer the file's bytes.
              setFileBytes(null);
              setContent(event.target.value);
            }}
            rows={12}
            spellCheck={false}
            required
            className="mono"
            data-testid="import-content"
            placeholder={format === 'changeset' ? '{ "changes": [ { "path": "...", "original": "...", "modified": "..." } ], "rationale": "..." }' : 'diff --git a/... b/...'}
          />
        </label>
        {importProposal.isError && <ErrorNote title="Import refused" error={importProposal.error} testId="import-error" />}
        <div className="row gap end">
          <button type="button" onClick={onClose} data-testid="import-cancel">
            Cancel
          </button>
          <button type="submit" className="primary" disabled={importProposal.isPending || content === ''} data-testid="import-submit">
            {importProposal.isPending ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
