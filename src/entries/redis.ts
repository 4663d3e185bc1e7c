/**
 * A token store and a lock on Redis, for fleets.
 *
 * @module oauthkit/redis
 */
// `oauthkit/redis`: a token store and a lock on Redis, for fleets (docs/fleet.md).
export { redisStore, redisLock } from '../redis/store.js'
export type { RedisClientLike, RedisStoreOptions, RedisLockOptions } from '../redis/store.js'
