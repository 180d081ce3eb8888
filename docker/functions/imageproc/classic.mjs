// Classic-watchdog form (fprocess="node classic.mjs"): ../_watchdog/classic.mjs running ./handler.mjs.
import { runClassic } from '../_watchdog/classic.mjs'
import { handle } from './handler.mjs'

await runClassic(handle)
