/** The `?` dialog listing every keyboard shortcut. */
import { Dialog } from '../components/Dialog';
import { shortcutList } from './shortcuts';

/** Lists the shortcuts. */
export function ShortcutHelp({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  return (
    <Dialog open={open} title="Keyboard shortcuts" onClose={onClose} testId="shortcut-help">
      <div className="shortcut-groups">
        {shortcutList.map((group) => (
          <section key={group.where}>
            <h3>{group.where}</h3>
            <dl className="shortcut-list">
              {group.shortcuts.map((shortcut) => (
                <div key={shortcut.keys} className="shortcut">
                  <dt>
                    {shortcut.keys.split(' ').map((key, index) =>
                      key === '/' && shortcut.keys.includes(' / ') ? (
                        <span key={index}> / </span>
                      ) : (
                        <kbd key={index}>{key}</kbd>
                      ),
                    )}
                  </dt>
                  <dd>{shortcut.does}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  );
}
