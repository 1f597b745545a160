#!/bin/sh
echo "hello from the built image: $*"
