import * as path from 'node:path';
import { spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { ROOT, sandbox, waitForLine } from '../helpers';

/** The compiled CLI, as the package's bin runs it. */
export const CLI = path.join(ROOT, 'dist', 'lib', 'cli.js');
export const hasFlock = spawnSync('flock', ['--version']).status === 0;

/** Runs the CLI to completion. */
export function cli(args: string[], input?: string, env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: env ?? process.env });
}

/** The command line of either tool, for sh. */
export type Tool = 'flock' | 'file-locking';
export const TOOLS: readonly Tool[] = ['flock', 'file-locking'];
export const argvOf = (tool: Tool): string[] => (tool === 'flock' ? ['flock'] : [process.execPath, CLI]);
/** For `sh -c` scripts that run either tool as an unquoted $TOOL. */
export const shellOf = (tool: Tool): string => argvOf(tool).join(' '); // split by sh: paths without spaces

/** Runs one tool with `args`, or a `sh -c` script in which `$TOOL` runs it. */
export function run(tool: Tool, args: string[], cwd?: string): SpawnSyncReturns<string> {
  const [cmd, ...pre] = argvOf(tool);
  return spawnSync(cmd, [...pre, ...args], { encoding: 'utf8', cwd });
}
export function script(tool: Tool, text: string, cwd?: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync('sh', ['-c', text], { encoding: 'utf8', cwd, env: { ...env, TOOL: shellOf(tool) } });
}

/**
 * A sandbox whose lock holders run in their own process group, so that the
 * shell and sleep that inherit a lock die with them.
 */
export function holderSandbox(): ReturnType<typeof sandbox> & { hold(tool: Tool, args: string[]): Promise<ChildProcess> } {
  const t = sandbox();
  const groups: number[] = [];
  afterEach(() => {
    for (const pid of groups.splice(0)) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
  return Object.assign(t, {
    async hold(tool: Tool, args: string[]): Promise<ChildProcess> {
      const [cmd, ...pre] = argvOf(tool);
      const child = t.spawn(cmd, [...pre, ...args, 'sh', '-c', 'echo held; exec sleep 60'], { detached: true });
      groups.push(child.pid as number);
      await waitForLine(child, /^held/);
      return child;
    },
  });
}
