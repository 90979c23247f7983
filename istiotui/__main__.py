import sys

from istiotui.cli.main import main

sys.exit(main())
