// Which route a card wants and what bootstrap may write onto it, decided from what is on it
// before anything is written: a refusal leaves the card as it was.
import { parse } from 'yaml';
import { cloudInitFiles } from './cloud-init.ts';
import { cardMarker, type CardFile, type CardFormat, type FirstBoot } from './first-boot.ts';
import { firstrunFiles, hookCmdline } from './firstrun.ts';

/** What is on the boot partition now (files read by the shell; absent: undefined). */
export interface CardContents {
  /** Names in its top folder. */
  names: ReadonlySet<string>;
  /** Text of the files bootstrap may change or refuse to replace. */
  text: Partial<Record<'user-data' | 'network-config' | 'meta-data' | 'firstrun.sh' | 'cmdline.txt', string>>;
}

export const seedNames = ['user-data', 'network-config', 'meta-data'] as const;

export type CardPlan = { ok: true; format: CardFormat; files: CardFile[] } | { ok: false; fault: string };

/** The card's route: asked for, or cloud-init when the card has NoCloud seed files, else firstrun. */
export function cardFormat(card: CardContents, asked: CardFormat | undefined): CardFormat {
  return asked ?? (seedNames.some((n) => card.names.has(n)) ? 'cloud-init' : 'firstrun');
}

export function planCard(card: CardContents, fb: FirstBoot, o: { format?: CardFormat; force?: boolean }): CardPlan {
  if (!card.names.has('config.txt') && !card.names.has('cmdline.txt'))
    return { ok: false, fault: 'is not a Raspberry Pi boot partition (it has neither config.txt nor cmdline.txt): mount the card\'s FAT partition (bootfs) and give that folder' };
  const format = cardFormat(card, o.format);
  if (format === 'cloud-init') {
    for (const name of seedNames) {
      const fault = foreign(card.text[name], true);
      if (fault && !o.force) return { ok: false, fault: `${name} ${fault}; camfleet never merges into it: move it away, or give --force to replace it` };
    }
    return { ok: true, format, files: cloudInitFiles(fb) };
  }
  const cmdline = card.text['cmdline.txt'];
  if (cmdline === undefined) return { ok: false, fault: 'has no cmdline.txt, which the firstrun.sh route hooks into (a card from a cloud-init release wants --format cloud-init)' };
  const fault = foreign(card.text['firstrun.sh'], false);
  if (fault && !o.force) return { ok: false, fault: `firstrun.sh ${fault}; camfleet never merges into it: move it away, or give --force to replace it` };
  const hooked = hookCmdline(cmdline);
  if (!hooked.ok) return { ok: false, fault: `cmdline.txt ${hooked.fault}` };
  return { ok: true, format, files: [...firstrunFiles(fb), { name: 'cmdline.txt', content: hooked.text, secret: false }] };
}

/**
 * Why an existing file is not bootstrap's to replace, or undefined when it is: camfleet's own, or
 * (user-data) the stock image's placeholder, which sets nothing.
 */
function foreign(text: string | undefined, placeholderAllowed: boolean): string | undefined {
  if (text === undefined || text.includes(cardMarker)) return undefined;
  if (placeholderAllowed && setsNothing(text)) return undefined;
  return 'is already there and was not written by camfleet';
}

function setsNothing(text: string): boolean {
  try {
    const value: unknown = parse(text);
    return value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0);
  } catch {
    return false;
  }
}
