import type { Command } from 'commander';
export function registerKeyPromotion(_program: Command): void {}
