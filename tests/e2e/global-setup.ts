import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run test:e2e` builds the renderer first; a bare `npx playwright test`
 * builds it here when out/renderer is missing, so the UI tested is never stale by accident.
 */
export default function globalSetup(): void {
  const root = join(import.meta.dirname, '..', '..');
  if (existsSync(join(root, 'out', 'renderer', 'index.html'))) return;
  execFileSync(
    join(root, 'node_modules', '.bin', 'vite'),
    ['build', '--config', 'renderer/vite.config.ts'],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    },
  );
}
