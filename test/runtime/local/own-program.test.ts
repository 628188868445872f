import { expect, test } from 'vitest';
import { refuseCommands } from '../../../src/runtime/docker/docker-runtime.ts';
import { checkLocalServices } from '../../../src/runtime/local/own-program.ts';
import { serviceSpec } from '../../helpers/scenario.ts';
import { FIXTURES } from './helpers.ts';

/** What each runtime refuses before anything starts: a program it cannot run, a folder that is not there. */

test('the local runtime runs commands, not images alone; a command needs its folder', () => {
  expect(() => checkLocalServices([serviceSpec('front', { command: 'x', cwd: FIXTURES }), serviceSpec('store', { image: 'store:1', command: 'y', cwd: FIXTURES })])).not.toThrow();
  expect(() => checkLocalServices([serviceSpec('store', { image: 'store:1' })], 'shop.yaml: ')).toThrow(
    'shop.yaml: service store runs the image store:1, and images run only on the Docker runtime: run with --runtime docker (or runtime: docker in the scenario), or give it a command for the local runtime',
  );
  expect(() => checkLocalServices([serviceSpec('front', { command: 'x', cwd: '/no/such/folder' })], 'shop.yaml: ')).toThrow(
    'shop.yaml: service front: its command would run in /no/such/folder, which is not a folder (cwd is relative to the scenario file)',
  );
});

test('the Docker runtime runs images, not commands alone', () => {
  expect(() => refuseCommands([serviceSpec('front', { image: 'front:1', command: 'x', cwd: FIXTURES }), serviceSpec('store')])).not.toThrow();
  expect(() => refuseCommands([serviceSpec('front', { command: 'python3 app.py', cwd: FIXTURES })], 'shop.yaml: ')).toThrow(
    'shop.yaml: service front runs a command, and commands run only on the local runtime: give it an image for the Docker runtime (it may keep its command for the local one), or run with --runtime local',
  );
});
