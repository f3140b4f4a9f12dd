/**
 * The active policy set of a local policy directory: loaded and validated whole before it
 * replaces the active one, reloaded when files change (chokidar, debounced). A change with
 * problems keeps the last good set active and says why (status, log, metrics, audit event).
 * The swap is one assignment: an alert being evaluated keeps the set it started with.
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { startLoader } from '../load/parallel.js';
import type { Loader } from '../load/parallel.js';
import { locateRepository, readRepository } from '../load/read-dir.js';
import { Serial } from '../util/serial.js';
import { activeSet, failedReport, vet } from './activation.js';
import type { ActiveSet, LoadReport, PolicySource, SourceStatus } from './activation.js';

const DEBOUNCE_MS = 250;

export class LocalPolicySource implements PolicySource {
  private current: ActiveSet | null = null;
  private report: LoadReport | null = null;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly loads = new Serial(() => this.loadOnce());

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly onLoad: (report: LoadReport, active: ActiveSet | null, previous: ActiveSet | null) => void,
  ) {}

  get active(): ActiveSet | null {
    return this.current;
  }

  get lastLoad(): LoadReport | null {
    return this.report;
  }

  /** Loads the directory now; asked during a load, answers with the load that starts after it. */
  load(): Promise<LoadReport> {
    return this.loads.run();
  }

  private async loadOnce(): Promise<LoadReport> {
    const at = new Date().toISOString();
    let report: LoadReport;
    let activated: ActiveSet | null = null;
    try {
      let loader: Loader | undefined;
      const repo = readRepository(this.dir, (count) => {
        loader = startLoader(count);
      });
      const result = await (loader ?? startLoader(repo.files.length)).load(repo);
      const vetted = await vet(result, repo.revision, (path) => readFileSync(join(repo.root, path), 'utf8'), at);
      report = vetted.report;
      if (vetted.set) activated = activeSet(vetted.set, repo.root, at);
    } catch (error) {
      report = failedReport(at, null, (error as Error).message);
    }
    const previous = this.current;
    if (activated && activated.set.revision === previous?.set.revision) activated = null; // nothing changed
    if (activated) this.current = activated;
    this.report = report;
    this.onLoad(report, activated, previous);
    return report;
  }

  /** Loads, then watches; resolves once the watchers are set, so no later change is missed. */
  async start(): Promise<void> {
    await this.load();
    await this.watch();
  }

  describe(): SourceStatus {
    return { kind: 'directory', dir: this.dir };
  }

  /**
   * Reloads when a file of the repository changes. chokidar watches the folders only: a
   * watcher per file cost 1.5 KB of heap and an inotify watch each (15 MB and 10,000 watches
   * at 10,000 policy files, past the 8,192 watches some kernels allow a user). A folder's
   * watcher sees every change of the files in it, which chokidar passes on as 'raw' events.
   */
  private async watch(): Promise<void> {
    // Only what a revision is made of: the data directory and node_modules may sit in the root,
    // whose own watcher (depth 0) only listens for homeostat.yaml.
    const { root, rulesDir } = locateRepository(this.dir);
    const folders = [rulesDir, join(root, 'playbooks'), join(root, 'scripts')].filter((p) => existsSync(p));
    const options = { ignoreInitial: true, ignored: (_path: string, stats?: Stats) => stats?.isFile() === true };
    const watchers = [watch(folders, options), watch(root, { ...options, depth: 0 })];
    const [inFolders, atRoot] = watchers as [FSWatcher, FSWatcher];
    inFolders.on('raw', () => this.schedule());
    inFolders.on('all', () => this.schedule()); // folders added or removed
    atRoot.on('raw', (_event, path, details) => {
      const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
      if (path === 'homeostat.yaml' && (watched === undefined || watched === root)) this.schedule();
    });
    for (const watcher of watchers) watcher.on('error', (error) => this.log.warn({ err: error }, 'policy watcher error'));
    this.watchers = watchers;
    await Promise.all(watchers.map((watcher) => once(watcher, 'ready')));
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, DEBOUNCE_MS);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.loads.idle();
  }
}
