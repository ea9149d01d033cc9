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

  const readFile = (file: File | undefined): void => {
    setFileError(null);
    if (file === undefined) return;
    if (file.name.endsWith('.diff') || file.name.endsWith('.patch')) setFormat('diff');
    file.text().then(setContent, (error: unknown) => setFileError(error instanceof Error ? error.message : 'could not read the file'));
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const target = repositoryId === '' ? repositories[0]?.id : repositoryId;
    if (target === undefined) return;
    importProposal.mutate(
      { repositoryId: target, format, content, ...(format === 'diff' && name.trim() !== '' ? { name: name.trim() } : {}) },
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
        <label className="field-label">
          Content
          <textarea
            value={content}
            onChange={(event) => setContent(event.target.value)}
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
