// The arm64 lab Pi's binfmt_misc registration: qemu-aarch64 re-registered with the C flag (setuid
// programs such as sudo work) from the entry Debian's qemu-user-static leaves, byte for byte.
import { describe, expect, it } from 'vitest';
import { binfmtRegistration } from '../lab/arm64.ts';

// /proc/sys/fs/binfmt_misc/qemu-aarch64 as Debian 12's qemu-user-static + binfmt-support register it.
const debian = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`;

describe('binfmtRegistration', () => {
  it("re-registers Debian's entry with POCF, same interpreter, magic and mask", () => {
    const r = binfmtRegistration(debian);
    expect(r?.flags).toBe('PF');
    expect(r?.line).toBe(
      ':qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00' +
        ':\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff' +
        ':/usr/libexec/qemu-binfmt/aarch64-binfmt-P:POCF',
    );
  });

  it('leaves an entry that already has C and F alone', () => {
    expect(binfmtRegistration(debian.replace('flags: PF', 'flags: POCF'))).toBeUndefined();
  });

  it('refuses an entry it cannot read rather than register something else', () => {
    expect(() => binfmtRegistration(debian.replace(/^magic .*$/m, 'magic 7f45zz'))).toThrow(/cannot read/);
    expect(() => binfmtRegistration(debian.replace(/^interpreter .*$/m, 'interpreter :evil'))).toThrow(/cannot read/);
  });
});
