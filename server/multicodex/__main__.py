from multicodex.cli import main

raise SystemExit(main())
