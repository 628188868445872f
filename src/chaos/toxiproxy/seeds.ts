import { deriveSeed, seededRandom, type Random } from '../../util/random.ts';
import type { Direction } from './direction.ts';

/** The two random streams a toxic has on one link. */
export interface StageRandoms {
  /** Toxicity rolls: one at the start of the link or when the toxic is added, one per update. */
  rolls: Random;
  /** Everything else: jitter, slice sizes. */
  data: Random;
}

/**
Where every random draw of the engine comes from. Toxiproxy's `-seed` is ignored (its toxics use
Go's global rand); here the same seed and the same sequence of connections and API calls give the
same toxicity rolls and the same jitter. Each toxic on each link gets its own streams, derived from
the proxy name, the connection's ordinal on that proxy, the direction and the toxic's name, so one
connection's traffic cannot shift another's draws, and the rolls do not depend on how TCP happened
to chunk the data.
*/
export class SeedSource {
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
  }

  forStage(proxy: string, connection: number, direction: Direction, toxic: string): StageRandoms {
    const key = `${proxy}\u0000${connection}\u0000${direction}\u0000${toxic}`;
    return {
      rolls: seededRandom(deriveSeed(this.seed, `${key}\u0000rolls`)),
      data: seededRandom(deriveSeed(this.seed, `${key}\u0000data`)),
    };
  }
}
