// A step in words, e.g. "restart camfleet-streamer.service (/etc/camfleet/streamer.json changed)":
// the plan's lines (format.ts) and apply's progress and error labels say the same thing.
import type { Step } from '../types.ts';
import { kindOf } from './step-kinds.ts';

export const describeStep = (step: Step): string => kindOf(step).describe(step);
