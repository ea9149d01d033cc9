/**
 * Search across every file of the proposal (main reads the files: `proposal:search`), results listed by
 * file; choosing one opens the file and reveals the line in the diff.
 */
import { useState, type FormEvent } from 'react';
import type { SearchMatch } from '../../../shared/ipc/channels/review';
import { useProposalSearch } from '../../api/review';
import { ErrorNote } from '../../components/ErrorNote';

/** Props of {@link ProposalSearch}. */
export interface ProposalSearchProps {
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly onReveal: (match: SearchMatch) => void;
}

/** The search box and its results. */
export function ProposalSearch({ repositoryId, proposalId, onReveal }: ProposalSearchProps) {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [caseSensitive, setCaseSensitive] = useState(false);
  const result = useProposalSearch(repositoryId, proposalId, query, caseSensitive);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setQuery(text.trim());
  };
  const matches = result.data?.matches ?? [];
  return (
    <section className="proposal-search" aria-label="Search in all files" data-testid="proposal-search">
      <form role="search" onSubmit={submit} className="search-form">
        <input
          type="search"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            if (event.target.value === '') setQuery('');
          }}
          placeholder="Search in all files (Enter)"
          aria-label="Search in all files of the proposal"
          maxLength={200}
          data-testid="search-input"
        />
        <label className="inline-check small" title="Match upper and lower case exactly">
          <input type="checkbox" checked={caseSensitive} onChange={(event) => setCaseSensitive(event.target.checked)} data-testid="search-case" />
          Aa
        </label>
      </form>
      {query !== '' && (
        <div className="search-results" data-testid="search-results" data-count={matches.length} data-state={result.isFetching ? 'searching' : result.isError ? 'error' : 'done'}>
          {result.isError && <ErrorNote title="Could not search" error={result.error} testId="search-error" />}
          {result.isFetching && <p className="muted small">Searching…</p>}
          {result.data !== undefined && !result.isFetching && (
            <p className="muted small" role="status" data-testid="search-summary">
              {matches.length === 0
                ? `No match for “${result.data.query}” in ${result.data.files} file${result.data.files === 1 ? '' : 's'}.`
                : `${matches.length}${result.data.truncated ? '+' : ''} match${matches.length === 1 ? '' : 'es'} in ${new Set(matches.map((m) => m.path)).size} file${new Set(matches.map((m) => m.path)).size === 1 ? '' : 's'}`}
              {result.data.skipped.length > 0 && ` (${result.data.skipped.length} without text not searched)`}
            </p>
          )}
          <ul className="search-list">
            {matches.map((match) => (
              <li key={`${match.path}:${match.side}:${match.line}`}>
                <button
                  type="button"
                  className="search-hit"
                  onClick={() => onReveal(match)}
                  data-testid="search-hit"
                  data-path={match.path}
                  data-line={match.line}
                  aria-label={`${match.path} line ${match.line}${match.side === 'base' ? ' (deleted file)' : ''}: ${match.text.trim()}`}
                >
                  <span className="search-place">
                    {match.path}:{match.line}
                  </span>
                  <code className="search-text">{match.text.trim()}</code>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
