// Every fact observe gathers, in the order the script asks them. A new fact is a snippet and its
// parser in facts/ and a line here.
import type { Fact } from './fact.ts';
import { camera } from './facts/camera.ts';
import { dirs } from './facts/dirs.ts';
import { encoders } from './facts/encoders.ts';
import { files } from './facts/files.ts';
import { leftovers } from './facts/leftovers.ts';
import { libcamera } from './facts/libcamera.ts';
import { os } from './facts/os.ts';
import { packages } from './facts/packages.ts';
import { pending } from './facts/pending.ts';
import { sshInterface } from './facts/ssh-interface.ts';
import { units } from './facts/units.ts';

export const facts: readonly Fact[] = [sshInterface, os, packages, files, leftovers, dirs, units, camera, libcamera, pending, encoders];
