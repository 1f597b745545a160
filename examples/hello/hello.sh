#!/bin/sh
echo "${GREETING:-Hello} from Slipway on $(uname -m)"
