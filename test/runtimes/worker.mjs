// workerd: `workerd test` calls test(); the base URL is the BASE binding.
import { smoke } from './smoke.mjs'

export default {
  async test(_controller, env) {
    console.log(`SMOKE ${JSON.stringify(await smoke(env.BASE))}`)
  },
}
