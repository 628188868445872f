export { serviceSpec } from '../../helpers/scenario.ts';
