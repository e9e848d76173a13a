#!/bin/sh
# Remove the staged temp files given as arguments (a failed validation leaves nothing behind).
rm -f -- "$@"
