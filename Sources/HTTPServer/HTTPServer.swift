// HTTPServer module: see README "Architecture".
