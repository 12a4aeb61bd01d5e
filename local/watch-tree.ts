import { type Dirent, type FSWatcher, readdirSync, watch } from 'node:fs';
import { join, sep } from 'node:path';

// Node's own `--watch` misses rename-and-replace saves (vim, sed -i, an IDE's safe write) of a file it
// watches, and on Linux its recursive directory watch (`fs.watch` with `recursive: true`) drops events under
// quick successive saves, so each directory is watched on its own: one inotify watch per directory sees every
// entry created, renamed over or written.

/** Where the code `npm start` runs lives: a save anywhere under these restarts `npm run dev`. */
export const WATCHED_DIRECTORIES = ['lambda', 'local', 'api', 'client/src'];

// Editor droppings that change while nobody saves: vim's swap files, emacs's lock and autosave files, backups.
const isNoise = (name: string) => name.startsWith('.') || name.startsWith('#') || name.endsWith('~');

/** Calls `onChange` for every change under `root`, new subdirectories included, until the returned stop. */
export function watchTree(root: string, onChange: (path: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  // A directory goes with everything watched below it: `add` watches the whole subtree afresh.
  const unwatch = (directory: string) => {
    for (const [watched, watcher] of watchers) {
      if (watched === directory || watched.startsWith(`${directory}${sep}`)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
  };
  const add = (directory: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return; // not a directory, or already gone
    }
    try {
      const watcher = watch(directory, (_event, name) => {
        if (name && isNoise(name)) return;
        if (name) {
          // An entry that is (or was) a directory is watched afresh: it may be new, replaced or removed.
          const entry = join(directory, name);
          unwatch(entry);
          add(entry);
        }
        onChange(name ? join(directory, name) : directory);
      });
      watcher.on('error', () => unwatch(directory));
      watchers.set(directory, watcher);
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory() && !isNoise(entry.name)) add(join(directory, entry.name));
  };
  add(root);
  return () => {
    for (const directory of [...watchers.keys()]) unwatch(directory);
  };
}
