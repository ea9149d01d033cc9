/** The bottom line: version, shell, Docker and the data directory, from `app:info`. */
import type { AppInfo } from '../../shared/ipc/channels/app';

/** Shows what `app:info` said. */
export function StatusBar({ info }: { readonly info: AppInfo }) {
  const docker = info.docker;
  return (
    <footer className="status-bar" data-testid="app-info" aria-label="Application information">
      <span data-testid="app-version">
        {info.name} {info.version}
      </span>
      <span data-testid="app-runtime" title="Which shell hosts this console">
        {info.shell === 'electron' ? `Electron ${info.versions.electron ?? ''}` : 'Chromium bridge'}
        {info.versions.chromium !== null && ` · Chromium ${info.versions.chromium}`} · Node {info.versions.node}
      </span>
      <span
        data-testid="docker-status"
        data-reachable={docker.reachable ? 'true' : 'false'}
        className={docker.reachable && docker.warnings.length === 0 ? 'ok-text' : 'warn-text'}
        title={docker.reachable ? docker.warnings.join('\n') : (docker.reason ?? '')}
      >
        Docker:{' '}
        {docker.reachable
          ? `reachable${docker.engineVersion === null ? '' : ` (${docker.engineVersion})`}${
              docker.warnings.length === 0 ? '' : ` — ${docker.warnings.length} warning${docker.warnings.length === 1 ? '' : 's'}, see Settings`
            }`
          : 'not reachable — sandbox runs fail closed'}
      </span>
      <span className="status-data-dir" data-testid="app-data-dir" title="Data directory">
        {info.dataDir}
      </span>
    </footer>
  );
}
