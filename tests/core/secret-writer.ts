/**
 * Child process of secrets.test.ts: stores `count` secrets named
 * `<prefix>/<i>` in a FileSecretStore, one set() after the other, while
 * another writer does the same on the same file.
 */
import { FileSecretStore } from '../../main/core/secrets.ts';

const [path, prefix, countText] = process.argv.slice(2);
const store = new FileSecretStore(path!);
for (let i = 0; i < Number(countText); i++) await store.set(`${prefix}/${i}`, `secret ${i}`);
