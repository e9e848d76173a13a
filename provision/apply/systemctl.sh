#!/bin/sh
# One systemctl verb, on one unit or none: the arguments as systemctl takes them.
exec systemctl "$@"
