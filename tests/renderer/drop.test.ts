import { describe, expect, it } from 'vitest';
import { commandsToText, textToCommands } from '../../renderer/src/pairing/CommandPolicyEditor.tsx';
import { pathsFromUriList } from '../../renderer/src/queue/forms.tsx';

describe('file drop paths', () => {
  it('turns a file manager uri-list into local paths, decoding escapes and skipping comments', () => {
    expect(
      pathsFromUriList(
        '# comment\r\nfile:///tmp/a%20b.txt\r\nfile:///home/u/r%C3%A9sum%C3%A9.pdf\r\nhttps://example.com/x',
      ),
    ).toEqual(['/tmp/a b.txt', '/home/u/résumé.pdf']);
  });

  it('gives Windows drive paths without the leading slash', () => {
    expect(pathsFromUriList('file:///C:/Users/me/data.xml')).toEqual(['C:/Users/me/data.xml']);
  });

  it('finds nothing in an empty drop', () => {
    expect(pathsFromUriList('')).toEqual([]);
  });
});

describe('command lines of the command endpoint form', () => {
  it('round-trips name = command line pairs, keeping = inside the command', () => {
    const commands = {
      disk: '/usr/lib/nagios/plugins/check_disk -w 20% -c 10%',
      env: 'env A=1 /bin/true',
    };
    expect(textToCommands(commandsToText(commands))).toEqual(commands);
    expect(textToCommands('  \nload = check_load -w 5,4,3\n')).toEqual({
      load: 'check_load -w 5,4,3',
    });
  });
});
