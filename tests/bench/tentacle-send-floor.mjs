// The floor for any Node Tentacle client, whole-process (issue #17 bench): one
// connection, SEND <name> SIZE n, the file's bytes, the server's final
// SEND OK, QUIT (tentacle.md §4). Plain JavaScript, no dependency, nothing else.
//   node tentacle-send-floor.mjs FILE HOST PORT
import { createReadStream, statSync } from 'node:fs';
import { connect } from 'node:net';
import { basename } from 'node:path';

const [file, host, port] = process.argv.slice(2);
const size = statSync(file).size;
const socket = connect({ host, port: Number(port) });
let pending = '';
let oks = 0;
socket.on('data', (chunk) => {
  pending += chunk.toString('latin1');
  for (let i = pending.indexOf('\n'); i !== -1; i = pending.indexOf('\n')) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    if (line !== 'SEND OK') {
      process.stderr.write(`refused: ${line}\n`);
      process.exit(1);
    }
    if (++oks === 1) {
      createReadStream(file).pipe(socket, { end: false });
    } else socket.end('QUIT\n');
  }
});
socket.write(`SEND <${basename(file)}> SIZE ${size}\n`);
