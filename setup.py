"""Package build for rna3d_kit: metadata comes from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read(Path(__file__).parent / 'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

requirements = cfg.get('requirements', '').split()  # core: templates, baseline, scoring, submissions
neural = cfg.get('neural_requirements', '').split()  # the end-to-end neural model (torch, transformers, peft)
train = neural + cfg.get('train_requirements', '').split()  # training it (accelerate, bitsandbytes for QLoRA, plots)
finish = cfg.get('finish_requirements', '').split()  # OpenMM minimisation of full-atom models
dev_requirements = cfg.get('dev_requirements', '').split()
console_scripts = cfg.get('console_scripts', '').split()
readme = Path(__file__).parent / 'README.md'

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=readme.read_text(encoding='utf-8') if readme.exists() else cfg['description'],
    long_description_content_type='text/markdown',
    author=cfg['author'],
    license='Apache-2.0',
    classifiers=['Programming Language :: Python :: 3', 'Topic :: Scientific/Engineering :: Bio-Informatics'],
    packages=setuptools.find_packages(include=['rna3d_kit', 'rna3d_kit.*']),
    include_package_data=True,
    package_data={'rna3d_kit': ['data/*', 'data/**/*']},
    install_requires=requirements,
    extras_require={'neural': neural, 'train': train, 'finish': finish, 'all': train + finish,
                    'dev': train + finish + dev_requirements},
    python_requires='>=' + cfg['min_python'],
    zip_safe=False,
    entry_points={'console_scripts': console_scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
