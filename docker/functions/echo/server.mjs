// of-watchdog http mode (the image's CMD): ../_watchdog/server.mjs serving ./handler.mjs.
import { serve } from '../_watchdog/server.mjs'
import { handle } from './handler.mjs'

serve(handle)
