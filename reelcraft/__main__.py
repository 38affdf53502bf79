from reelcraft.cli import main

raise SystemExit(main())
