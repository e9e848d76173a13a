// The list of system packages the tests need (.ci/apt-packages) and dpkg's view of what is missing:
// what `npm test` installs before the lab tests, and the demo before the lab Pi.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasApt, missingPackages, readPackageList } from '../lab/host-packages.ts';

const listFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'camfleet-packages-')), 'apt-packages');
  writeFileSync(file, text);
  return file;
};

describe('the system package list', () => {
  it('reads names several to a line, without comments', () => {
    expect(readPackageList(listFile('# the lab\nnginx libnginx-mod-rtmp  # with RTMP\n\n  qemu-system-x86\n'))).toEqual(['nginx', 'libnginx-mod-rtmp', 'qemu-system-x86']);
  });

  it('refuses what is not a Debian package name (it goes on an apt-get command line)', () => {
    expect(() => readPackageList(listFile('nginx; rm -rf /\n'))).toThrow(/"nginx;" is not a Debian package name/);
  });

  it('the shared list has the VM lab Pi\'s qemu and the container lab Pi\'s nspawn', () => {
    expect(readPackageList()).toEqual(expect.arrayContaining(['qemu-system-x86', 'systemd-container', 'debootstrap']));
  });

  it.runIf(hasApt())('dpkg says which packages are missing', () => {
    expect(missingPackages(['dpkg', 'camfleet-no-such-package', 'coreutils'])).toEqual(['camfleet-no-such-package']);
  });
});
