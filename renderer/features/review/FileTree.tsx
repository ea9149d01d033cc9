/** The changed files: status, finding counts, warnings and a viewed mark, grouped by directory. */
import { elementScroll, useVirtualizer, type Rect, type Virtualizer, type VirtualizerOptions } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { FileChangeView } from '../../../shared/ipc/channels/review';
import type { Finding } from '../../../shared/model/domain';
import { statusLetter, worstSeverity } from './review-model';

/** Props of {@link FileTree}. */
export interface FileTreeProps {
  /** Files in tree order. */
  readonly files: ReadonlyArray<FileChangeView>;
  readonly findingsByPath: ReadonlyMap<string, ReadonlyArray<Finding>>;
  readonly current: string | null;
  readonly viewed: ReadonlySet<string>;
  readonly onOpen: (path: string) => void;
  readonly onToggleViewed: (path: string) => void;
}

/** One row of the tree: a directory heading or a file. */
type TreeItem = { readonly kind: 'dir'; readonly path: string } | { readonly kind: 'file'; readonly file: FileChangeView; readonly name: string };

const dirHeight = 22;
const fileHeight = 26;

function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** The files whose path holds the filter text (case-insensitive); all of them for an empty filter. */
export function filterFiles(files: ReadonlyArray<FileChangeView>, filter: string): ReadonlyArray<FileChangeView> {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return files;
  return files.filter((file) => file.path.toLowerCase().includes(needle) || (file.oldPath ?? '').toLowerCase().includes(needle));
}

/**
 * The scroller's size, reported by a ResizeObserver only. The virtualizer's default reads the size at
 * mount, inside React's commit, which forces a layout of the whole review (165 ms of a link's first
 * render under load); the observer reports it after the browser's own layout instead. Until then the
 * window's height stands in (an upper bound: a few rows too many, never a blank list).
 */
function observeScrollerSize(instance: Virtualizer<HTMLDivElement, Element>, report: (rect: Rect) => void): () => void {
  const element = instance.scrollElement;
  if (element === null) return () => undefined;
  const observer = new ResizeObserver(() => report({ width: element.clientWidth, height: element.clientHeight }));
  observer.observe(element);
  return () => observer.disconnect();
}

/**
 * The virtualizer's scroll writes, except those that cannot move the list: at mount (and for a current
 * file already in view) it writes offset 0 to a scroller that has never left 0, and a scroll write
 * forces a layout in the middle of React's commit.
 */
function scrollerWriter(): VirtualizerOptions<HTMLDivElement, Element>['scrollToFn'] {
  let left = false;
  return (offset, options, instance) => {
    if (offset !== 0 || (instance.scrollOffset ?? 0) !== 0) left = true;
    if (!left) return;
    elementScroll(offset, options, instance);
  };
}

/** Files with a heading wherever the directory changes. */
export function treeItems(files: ReadonlyArray<FileChangeView>): ReadonlyArray<TreeItem> {
  const items: TreeItem[] = [];
  let lastDirectory: string | null = null;
  for (const file of files) {
    const directory = directoryOf(file.path);
    if (directory !== lastDirectory && directory !== '') items.push({ kind: 'dir', path: directory });
    lastDirectory = directory;
    items.push({ kind: 'file', file, name: file.path.slice(directory === '' ? 0 : directory.length + 1) });
  }
  return items;
}

/**
 * The file tree: virtualised (a proposal can change hundreds of files, and only the rows in view are in
 * the DOM) and memoised (the review view re-renders on every file load while the tree's inputs rarely
 * change). The container's `data-files` / `data-findings` carry the totals for tests and benchmarks.
 */
export const FileTree = memo(function FileTree({ files, findingsByPath, current, viewed, onOpen, onToggleViewed }: FileTreeProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollToFn] = useState(scrollerWriter);
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => filterFiles(files, filter), [files, filter]);
  const items = useMemo(() => treeItems(shown), [shown]);
  const viewedCount = files.filter((file) => viewed.has(file.path)).length;
  const totalFindings = files.reduce((sum, file) => sum + file.findingCount, 0);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => (items[index]?.kind === 'dir' ? dirHeight : fileHeight),
    overscan: 12,
    initialRect: { width: 0, height: window.innerHeight },
    observeElementRect: observeScrollerSize,
    scrollToFn,
  });
  // j/k move the current file: keep it in view.
  useEffect(() => {
    const index = items.findIndex((item) => item.kind === 'file' && item.file.path === current);
    if (index !== -1) virtualizer.scrollToIndex(index, { align: 'auto' });
  }, [current, items, virtualizer]);

  return (
    <nav className="file-tree" aria-label="Changed files" data-testid="file-tree" data-files={files.length} data-findings={totalFindings}>
      <div className="pane-header">
        <span data-testid="file-count" data-shown={shown.length}>
          {shown.length === files.length ? `${files.length} file${files.length === 1 ? '' : 's'}` : `${shown.length} of ${files.length} files`}
        </span>
        <span className="muted" data-testid="viewed-count">
          {viewedCount}/{files.length} viewed
        </span>
      </div>
      <div className="file-filter">
        <input
          type="search"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          placeholder="Filter files by path"
          aria-label="Filter the changed files by path"
          data-testid="file-filter"
        />
      </div>
      {shown.length === 0 && (
        <p className="muted small file-filter-empty" data-testid="file-filter-empty">
          No changed file matches “{filter.trim()}”.
        </p>
      )}
      <div ref={scroller} className="file-scroller">
        <ul className="file-list" role="list" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((row) => {
            const item = items[row.index];
            if (item === undefined) return null;
            const style = { transform: `translateY(${row.start}px)`, height: row.size };
            if (item.kind === 'dir') {
              return (
                <li key={`dir:${item.path}`} className="tree-item dir-header" style={style} title={item.path}>
                  {item.path}/
                </li>
              );
            }
            return (
              <li key={item.file.path} className="tree-item" style={style}>
                <FileRow
                  file={item.file}
                  name={item.name}
                  findings={findingsByPath.get(item.file.path) ?? []}
                  current={item.file.path === current}
                  viewed={viewed.has(item.file.path)}
                  onOpen={onOpen}
                  onToggleViewed={onToggleViewed}
                />
              </li>
            );
          })}
        </ul>
      </div>
    </nav>
  );
});

function FileRow({
  file,
  name,
  findings,
  current,
  viewed,
  onOpen,
  onToggleViewed,
}: {
  readonly file: FileChangeView;
  readonly name: string;
  readonly findings: ReadonlyArray<Finding>;
  readonly current: boolean;
  readonly viewed: boolean;
  readonly onOpen: (path: string) => void;
  readonly onToggleViewed: (path: string) => void;
}) {
  const worst = worstSeverity(findings);
  const warn = file.hiddenCharLines.length > 0 || file.invalidUtf8 || file.binary || file.tooLarge || file.gitlink;
  return (
    <div
      className={`file-row${current ? ' current' : ''}${viewed ? ' viewed' : ''}`}
      data-testid="file-row"
      data-path={file.path}
      data-status={file.status}
      data-findings={file.findingCount}
      data-viewed={viewed ? 'true' : 'false'}
    >
      <input type="checkbox" checked={viewed} onChange={() => onToggleViewed(file.path)} aria-label={`Viewed ${file.path}`} data-testid="file-viewed" />
      <button
        type="button"
        className="file-open"
        onClick={() => onOpen(file.path)}
        aria-current={current ? 'true' : undefined}
        aria-label={`${file.path}, ${file.status}, ${file.findingCount} finding${file.findingCount === 1 ? '' : 's'}`}
        title={file.oldPath !== null && file.oldPath !== file.path ? `${file.oldPath} → ${file.path}` : file.path}
        data-testid="file-open"
      >
        <span className={`status-letter status-${file.status}`} aria-hidden="true">
          {statusLetter(file.status)}
        </span>
        <span className="file-name">{name}</span>
        {warn && (
          <span className="file-warn" aria-hidden="true" title="Has content warnings">
            ⚠
          </span>
        )}
        <span className="file-stats" aria-hidden="true">
          <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
        </span>
        {file.findingCount > 0 && (
          <span className={`count-badge severity-${worst ?? 'info'}`} data-testid="file-finding-count" aria-hidden="true">
            {file.findingCount}
          </span>
        )}
      </button>
    </div>
  );
}
