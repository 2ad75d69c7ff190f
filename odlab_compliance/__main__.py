from odlab_compliance.cli import main

raise SystemExit(main())
