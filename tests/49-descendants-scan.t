#!/bin/bash
# 48-descendants again, with the supervisor finding children the way it
# must on kernels without /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN
# off): by a scan of every process's parent pid. Without that fallback the
# setsid'd descendants would silently not be found.
export IMAGESERVING_PROC_NO_CHILDREN=1
. "$(dirname "$0")/48-descendants.t"
