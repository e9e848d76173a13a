// Whether the arm64 lab Pi test runs here, and if not, why (printed loudly by the test, never silent).
import { existsSync } from 'node:fs';

export function arm64Unavailable(): string | undefined {
  if (process.env.CAMFLEET_SKIP_ARM64 === '1')
    return 'CAMFLEET_SKIP_ARM64=1 is set (everything on the arm64 lab Pi is emulated: the test takes ~15 minutes on a busy machine; CI runs it: unset the variable to run it here)';
  if (!existsSync('/usr/libexec/qemu-binfmt/aarch64-binfmt-P') && !existsSync('/usr/bin/qemu-aarch64-static'))
    return 'qemu-user-static is not installed (sudo npm test installs it)';
  return undefined;
}
