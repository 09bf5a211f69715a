/**
 * hyperfine's `--style`, mapped onto what compare's output has: colours on stdout and the progress
 * bar on stderr. auto: colours on a TTY without NO_COLOR, the bar on a TTY (as always); basic:
 * neither; full: both, even when not a terminal; nocolor: the bar as auto, no colours; color:
 * colours, no bar; none: nothing on stdout and no bar (exports are still written, errors and
 * what an export left out still reach stderr).
 */
import type { CommandIo } from '../command';
import { colours, type Colours } from '../terminal';

export const STYLES = ['auto', 'basic', 'full', 'nocolor', 'color', 'none'] as const;

export interface OutputStyle {
  colours: Colours;
  /** Draw the progress bar: true or false, or undefined to draw it on a TTY. */
  progress: boolean | undefined;
  /** Print nothing on stdout. */
  quiet: boolean;
}

const CHOICES: Record<(typeof STYLES)[number], { colour?: boolean; progress?: boolean; quiet?: boolean }> = {
  auto: {},
  basic: { colour: false, progress: false },
  full: { colour: true, progress: true },
  nocolor: { colour: false },
  color: { colour: true, progress: false },
  none: { colour: false, progress: false, quiet: true },
};

export function outputStyle(style: string | undefined, io: CommandIo): OutputStyle {
  const choice = CHOICES[(style ?? 'auto') as keyof typeof CHOICES];
  return { colours: colours(io.stdout, io.env, choice.colour), progress: choice.progress, quiet: choice.quiet === true };
}
